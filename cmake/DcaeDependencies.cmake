# Finds the Debian 12 packages dcae builds on (see containers/debian-packages.txt).

find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)          # 0.7: the target is plain `yaml-cpp`

# LibTorch (Debian's libtorch-dev, or another LibTorch through CMAKE_PREFIX_PATH). Its imported
# targets must be visible in every directory that links dcae::model, so it is found here.
find_package(Torch REQUIRED)
# The model's own CPU kernels split their loops with at::parallel_for, whose OpenMP backend is
# inline in LibTorch's headers: without OpenMP at compile time it runs every loop on one thread.
# The same runtime (libgomp) as LibTorch's.
find_package(OpenMP REQUIRED COMPONENTS CXX)
# oneDNN (Debian's libdnnl-dev; LibTorch runs its convolutions through the same library): the
# model's fully connected layers call its sgemm, which picks the CPU's widest vector kernels
# itself. Required in the full build; optional in the model-only build (another LibTorch, e.g.
# a CUDA one, may not come with it), where the layers then go through LibTorch's linear.
find_path(DCAE_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.h)
find_library(DCAE_DNNL_LIBRARY dnnl)
if(DCAE_DNNL_INCLUDE_DIR AND DCAE_DNNL_LIBRARY)
  add_library(dcae_dnnl INTERFACE IMPORTED)
  set_target_properties(dcae_dnnl PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${DCAE_DNNL_INCLUDE_DIR}"
                                             INTERFACE_LINK_LIBRARIES "${DCAE_DNNL_LIBRARY}"
                                             INTERFACE_COMPILE_DEFINITIONS DCAE_HAVE_DNNL)
elseif(NOT DCAE_MODEL_ONLY)
  message(FATAL_ERROR "oneDNN not found: install Debian's libdnnl-dev")
else()
  message(STATUS "oneDNN not found: the model's fully connected layers use LibTorch's linear")
endif()

if(DCAE_MODEL_ONLY)
  return()
endif()

find_package(ZLIB REQUIRED)
find_package(CLI11 REQUIRED)

# gRPC and protobuf for the parameter server (dist): Debian's libgrpc++-dev ships gRPCConfig.cmake,
# protobuf comes through CMake's FindProtobuf (protobuf_generate); grpc_cpp_plugin generates the
# service code.
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_program(DCAE_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# nifti_clib: Debian's NIFTIConfig.cmake points at /usr/lib and fails, so find the parts.
find_path(NIFTI_INCLUDE_DIR nifti2_io.h PATH_SUFFIXES nifti REQUIRED)
find_library(NIFTI2_LIBRARY nifti2 REQUIRED)
find_library(ZNZ_LIBRARY znz REQUIRED)
find_library(MATH_LIBRARY m)
if(NOT TARGET dcae_nifti2)
  add_library(dcae_nifti2 INTERFACE)
  target_include_directories(dcae_nifti2 SYSTEM INTERFACE "${NIFTI_INCLUDE_DIR}")
  # Never link libniftiio as well: both export nifti_image_read.
  target_link_libraries(dcae_nifti2 INTERFACE "${NIFTI2_LIBRARY}" "${ZNZ_LIBRARY}" ZLIB::ZLIB
                        $<$<BOOL:${MATH_LIBRARY}>:${MATH_LIBRARY}>)
  add_library(dcae::nifti2 ALIAS dcae_nifti2)
endif()
